"""A small OpenID Connect provider for tests, on loopback: discovery, an authorize endpoint that
signs in the one test user at once (no form), a token endpoint that returns an RS256 ID token
for the nonce it was given, the signing key (JWKS) and userinfo. Built with FastAPI and Authlib's
JOSE; nothing here is fit for anything but a test.

    python -m tests.oidc_provider PORT EMAIL
"""

import secrets
import sys
import time
from urllib.parse import urlencode

import uvicorn
from authlib.jose import JsonWebKey, jwt
from fastapi import FastAPI, Form
from fastapi.responses import RedirectResponse

CLIENT_ID, CLIENT_SECRET = "common-ground-test", "test-secret"


def create_app(issuer: str, email: str) -> FastAPI:
    key = JsonWebKey.generate_key("RSA", 2048, is_private=True, options={"kid": "test-key"})
    codes: dict[str, dict] = {}
    app = FastAPI()

    @app.get("/.well-known/openid-configuration")
    def discovery() -> dict:
        return {"issuer": issuer, "authorization_endpoint": f"{issuer}/authorize",
                "token_endpoint": f"{issuer}/token", "jwks_uri": f"{issuer}/jwks",
                "userinfo_endpoint": f"{issuer}/userinfo", "response_types_supported": ["code"],
                "subject_types_supported": ["public"], "id_token_signing_alg_values_supported": ["RS256"],
                "scopes_supported": ["openid", "email", "profile"],
                "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"]}

    @app.get("/authorize")
    def authorize(client_id: str, redirect_uri: str, state: str, nonce: str = "", response_type: str = "code",
                  scope: str = "openid") -> RedirectResponse:
        assert client_id == CLIENT_ID and response_type == "code"
        code = secrets.token_urlsafe(16)
        codes[code] = {"nonce": nonce}
        return RedirectResponse(f"{redirect_uri}?{urlencode({'code': code, 'state': state})}", status_code=302)

    @app.post("/token")
    def token(code: str = Form(...), grant_type: str = Form(...)) -> dict:
        assert grant_type == "authorization_code" and code in codes
        now = int(time.time())
        claims = {"iss": issuer, "sub": "user-1", "aud": CLIENT_ID, "iat": now, "exp": now + 600,
                  "nonce": codes.pop(code)["nonce"], "email": email, "email_verified": True, "name": "Test User"}
        id_token = jwt.encode({"alg": "RS256", "kid": "test-key"}, claims, key).decode()
        return {"access_token": secrets.token_urlsafe(16), "token_type": "Bearer", "expires_in": 600,
                "id_token": id_token}

    @app.get("/jwks")
    def jwks() -> dict:
        return {"keys": [key.as_dict(is_private=False)]}

    @app.get("/userinfo")
    def userinfo() -> dict:
        return {"sub": "user-1", "email": email, "email_verified": True, "name": "Test User"}

    return app


if __name__ == "__main__":
    port, email = int(sys.argv[1]), sys.argv[2]
    uvicorn.run(create_app(f"http://127.0.0.1:{port}", email), host="127.0.0.1", port=port, log_level="warning")
