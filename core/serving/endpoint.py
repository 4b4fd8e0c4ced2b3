"""The model at work: the one prediction rule (shared by batch scoring and the REST endpoint) and
the FastAPI app. Standalone on purpose: it imports no Common Ground module, so a deployment
bundle carries this very file and serves exactly what the app serves.

    python endpoint.py --model-dir model --meta model.json [--host 127.0.0.1] [--port 8000]

Routes: GET /health, GET /model (what it predicts, its test scores, the plain-language summary),
POST /predict (a JSON array of records in, one prediction each out, in order). Records are
checked against the training columns (422 names the field), bodies over the limit get 413,
and with a token set (COMMONGROUND_SERVE_TOKEN) every route but /health needs it as a bearer.
"""

import argparse
import hmac
import os
from typing import Callable, Optional

import numpy as np
import pandas as pd

MAX_BYTES = 10 * 1024 * 1024  # the default request limit
TOKEN_ENV = "COMMONGROUND_SERVE_TOKEN"
RATE_ENV = "COMMONGROUND_SERVE_RATE"  # requests per second per client; 0: no limit
RATE = 200.0


def predict_table(predictor, model: str, frame: pd.DataFrame, meta: dict,
                  decide: Optional[Callable] = None) -> tuple[pd.DataFrame, np.ndarray]:
    """`prediction` (and `probability_<class>` per class) for every row, decided at the threshold
    in use, or by `decide(score, frame)` (an adopted fairer rule); and the score monitoring follows
    (the positive class's probability, the predicted number or the predicted class)."""
    # A model trained on prepared rows reads the prepared columns, not the raw ones a request carries.
    features = frame[meta.get("model_features") or [f["name"] for f in meta["features"]]]
    out = pd.DataFrame(index=frame.index)
    if meta["problem_type"] == "regression":
        out["prediction"] = predictor.predict(features, model=model).to_numpy()
        return out, out["prediction"].to_numpy()
    proba = predictor.predict_proba(features, model=model)
    if meta["problem_type"] == "binary":
        positive = predictor.positive_class
        negative = next(c for c in proba.columns if c != positive)
        score = proba[positive].to_numpy()
        yes = decide(score, frame) if decide else score >= meta["threshold"]
        out["prediction"] = np.where(yes, positive, negative)
    else:
        out["prediction"] = proba.idxmax(axis=1).to_numpy()
        score = out["prediction"].astype(str).to_numpy()
    for cls in proba.columns:
        out[f"probability_{cls}"] = proba[cls].to_numpy()
    return out, score


def _record_model(meta: dict):
    """The type of one record: every training column is required (null allowed for a missing
    value), numbers must be numbers; other fields are ignored. A TypedDict, not a model: records
    stay plain dicts, a third of the cost of a 1,000-record request otherwise (bench/serve.py)."""
    from pydantic import ConfigDict
    from typing_extensions import TypedDict

    fields = {}
    for f in meta["features"] + [{"name": c, "type": "text"} for c in meta.get("extra_columns", [])]:
        fields[f["name"]] = Optional[float] if f["type"] == "number" else Optional[str]
    record = TypedDict("Record", fields)
    record.__pydantic_config__ = ConfigDict(extra="ignore", coerce_numbers_to_str=True)
    return record


def create_app(predictor, model: str, meta: dict, *, token: str | None = None, max_bytes: int = MAX_BYTES,
               decide: Optional[Callable] = None, rate: float = RATE, prepare: Optional[Callable] = None):
    from fastapi import Depends, FastAPI, HTTPException, Response
    from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

    Record = _record_model(meta)
    app = FastAPI(title=f"Common Ground: {meta['name']}", version=meta["run_id"],
                  description=f"Predicts '{meta['target']}' ({meta['problem_type']}) with {model}.")
    bearer = HTTPBearer(auto_error=False)

    def allowed(credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> None:
        if token and (credentials is None or not hmac.compare_digest(credentials.credentials, token)):
            raise HTTPException(status_code=401, detail="A valid bearer token is needed (Authorization: Bearer ...).")

    app.add_middleware(_Limits, max_bytes=max_bytes, rate=rate)

    @app.get("/health")
    def health() -> dict:
        return {"status": "ok", "run_id": meta["run_id"], "model": model}

    @app.get("/model", dependencies=[Depends(allowed)])
    def about() -> dict:
        return {k: meta.get(k) for k in ("run_id", "name", "target", "problem_type", "threshold", "classes",
                                         "features", "holdout_metrics", "decision_rule", "summary")} | {"model": model}

    example = {"predictions": [{"prediction": "yes", "probabilities": {"no": 0.2, "yes": 0.8}}]}

    # The answer is encoded here, not by FastAPI: its generic encoder took two thirds of a
    # 1,000-record request (bench/serve.py).
    @app.post("/predict", dependencies=[Depends(allowed)], response_class=Response,
              responses={200: {"description": "One prediction per record, in order.",
                               "content": {"application/json": {"example": example}}}})
    def predict(records: list[Record]) -> Response:  # type: ignore[valid-type]
        if not records:
            return _json({"predictions": []})
        frame = pd.DataFrame(records)
        for f in meta["features"]:
            if f["type"] == "number":
                frame[f["name"]] = pd.to_numeric(frame[f["name"]])
        problems = None
        try:
            if prepare:  # raw rows through the recipe's every-row steps, as batch scoring does
                frame, problems = prepare(frame)
            out, _ = predict_table(predictor, model, frame, meta, decide)
        except ValueError as exc:  # a value the model cannot take: the caller's to fix
            raise HTTPException(status_code=422, detail=str(exc)) from None
        probabilities = {c[len("probability_"):]: out[c].tolist() for c in out.columns if c.startswith("probability_")}
        answers = [{"prediction": _plain(p), "probabilities": {k: v[i] for k, v in probabilities.items()}}
                   for i, p in enumerate(out["prediction"].tolist())]
        if problems is not None:
            for answer, said in zip(answers, problems.tolist()):
                if isinstance(said, str):
                    answer["prep_problems"] = said  # a value a step could not read: predicted as missing
        return _json({"predictions": answers})

    return app


class _Limits:
    """Refuses a client over its request rate (429, a token bucket of one second's requests), and a
    POST body over the limit (413), of unknown length (411) or not JSON (415) before it is read.
    Plain ASGI: Starlette's BaseHTTPMiddleware costs milliseconds per request."""

    def __init__(self, app, max_bytes: int, rate: float):
        self.app, self.max_bytes, self.rate = app, max_bytes, rate
        self.buckets: dict[str, tuple[float, float]] = {}  # client -> (requests left, when)

    def _too_fast(self, scope) -> float:
        """Seconds to wait when this client is over its rate, else 0 (and one request is spent)."""
        import time

        if not self.rate or scope["path"] == "/health":
            return 0.0
        client, now = (scope.get("client") or ("?",))[0], time.monotonic()
        left, then = self.buckets.get(client, (self.rate, now))
        left = min(self.rate, left + (now - then) * self.rate)
        if left < 1:
            return (1 - left) / self.rate
        if len(self.buckets) > 10_000:  # forget idle clients rather than grow without bound
            self.buckets.clear()
        self.buckets[client] = (left - 1, now)
        return 0.0

    async def __call__(self, scope, receive, send):
        wait = self._too_fast(scope) if scope["type"] == "http" else 0.0
        if wait:
            import math

            from fastapi.responses import JSONResponse

            return await JSONResponse(status_code=429, headers={"Retry-After": str(math.ceil(wait))}, content={
                "detail": f"More than {self.rate:g} requests per second from this client; wait {wait:.2f} s, "
                          "or send more records per request."})(scope, receive, send)
        if scope["type"] == "http" and scope["method"] == "POST":
            headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
            length, kind = headers.get("content-length"), headers.get("content-type", "")
            detail, status = None, 200
            if length is None or not length.isdigit() or int(length) > self.max_bytes:
                size = "unknown" if length is None else (f"{int(length):,} bytes" if length.isdigit() else repr(length))
                status = 411 if length is None else 413
                detail = (f"The request body ({size}) must state its length and stay under {self.max_bytes:,} bytes; "
                          "send fewer records per request.")
            elif not kind.startswith("application/json"):
                status = 415
                detail = f"Send the records as JSON (Content-Type: application/json), not '{kind or 'nothing'}'."
            if detail:
                from fastapi.responses import JSONResponse

                return await JSONResponse(status_code=status, content={"detail": detail})(scope, receive, send)
        await self.app(scope, receive, send)


def _json(content: dict):
    import json

    from fastapi import Response

    return Response(json.dumps(content, allow_nan=False), media_type="application/json")


def _plain(value):
    return value.item() if hasattr(value, "item") else value


def main() -> None:
    import json

    import uvicorn
    from autogluon.tabular import TabularPredictor

    parser = argparse.ArgumentParser(description="Serve a Common Ground model over HTTP.")
    parser.add_argument("--model-dir", required=True)
    parser.add_argument("--meta", required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    meta = json.loads(open(args.meta, encoding="utf-8").read())
    predictor = TabularPredictor.load(args.model_dir)
    model = meta.get("model_in_bundle") or predictor.model_best
    predictor.persist(models=[model])
    app = create_app(predictor, model, meta, token=os.environ.get(TOKEN_ENV) or None,
                     rate=float(os.environ.get(RATE_ENV) or RATE))
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
