"""Sign-in for a team: the real app with Streamlit's OIDC sign-in (st.login, Authlib) against a
small OIDC provider started here on loopback, driven in Chromium. The user is the e-mail the
provider vouched for, a `?user=` link changes nothing, and the role comes from the admin's mapping."""

import os
import subprocess
import sys
import time
import urllib.request

import pytest
from playwright.sync_api import expect

from tests.conftest import REPO
from tests.oidc_provider import CLIENT_ID, CLIENT_SECRET
from tests.test_browser import _free_port, browser  # noqa: F401 - the shared Chromium fixture

pytestmark = pytest.mark.browser
EMAIL = "alice@example.org"


def _wait(url: str, proc, log) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"{url} stopped: " + log.read_text()[-2000:])
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except OSError:
            time.sleep(0.3)
    proc.kill()
    pytest.fail(f"{url} did not start: " + log.read_text()[-2000:])


@pytest.fixture(scope="module")
def team_app(tmp_path_factory):
    """The provider and the app (launched from a folder whose .streamlit/ holds [auth]), both on
    loopback; the admin has made the signed-in e-mail an analyst."""
    folder = tmp_path_factory.mktemp("team")
    home = folder / "home"
    provider_port, app_port = _free_port(), _free_port()
    issuer, url = f"http://127.0.0.1:{provider_port}", f"http://127.0.0.1:{app_port}"
    (folder / ".streamlit").mkdir()
    (folder / ".streamlit" / "config.toml").write_text((REPO / ".streamlit" / "config.toml").read_text())
    (folder / ".streamlit" / "secrets.toml").write_text(
        f'[auth]\nredirect_uri = "{url}/oauth2callback"\ncookie_secret = "a-test-cookie-secret-of-some-length"\n'
        f'client_id = "{CLIENT_ID}"\nclient_secret = "{CLIENT_SECRET}"\n'
        f'server_metadata_url = "{issuer}/.well-known/openid-configuration"\n')
    env = {**os.environ, "COMMONGROUND_HOME": str(home), "PYTHONPATH": str(REPO)}
    subprocess.run([sys.executable, "-m", "core", "users", "set-role", EMAIL, "analyst", "--user", "admin@example.org"],
                   cwd=REPO, env=env, check=True, capture_output=True, timeout=120)
    logs = [folder / "provider.log", folder / "app.log"]
    procs = [subprocess.Popen([sys.executable, "-m", "tests.oidc_provider", str(provider_port), EMAIL], cwd=REPO,
                              env=env, stdout=open(logs[0], "w"), stderr=subprocess.STDOUT),
             subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(REPO / "streamlit_app.py"),
                               "--server.port", str(app_port)], cwd=folder, env=env, stdout=open(logs[1], "w"),
                              stderr=subprocess.STDOUT)]
    try:
        _wait(issuer + "/.well-known/openid-configuration", procs[0], logs[0])
        _wait(url + "/_stcore/health", procs[1], logs[1])
        yield {"url": url, "home": home, "env": env}
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=15)
    assert "Traceback" not in logs[1].read_text()


def test_sign_in_with_oidc_gives_the_mapped_role(team_app, browser):  # noqa: F811
    page = browser.new_page()
    page.set_default_timeout(45_000)
    try:
        page.goto(team_app["url"] + "/?user=mallory")  # a link naming someone does nothing
        expect(page.get_by_text("Sign in to see this organisation")).to_be_visible()
        expect(page.get_by_text("mallory")).to_have_count(0)
        page.get_by_role("button", name="Sign in").click()
        sidebar = page.get_by_test_id("stSidebar")
        expect(sidebar.get_by_text(EMAIL)).to_be_visible()
        expect(sidebar.get_by_text("(analyst)")).to_be_visible()
        expect(sidebar.get_by_text("mallory")).to_have_count(0)
        expect(page.get_by_test_id("stMain").get_by_role("heading").first).to_be_visible()
        expect(sidebar.get_by_role("link", name="Admin")).to_have_count(0)  # an analyst's pages
        page.screenshot(path=os.environ.get("SIGN_IN_SCREENSHOT") or str(team_app["home"] / "signed_in.png"))
        sidebar.get_by_role("button", name="Sign out").click()
        expect(page.get_by_text("Sign in to see this organisation")).to_be_visible()
    finally:
        page.close()
    log = subprocess.run([sys.executable, "-m", "core", "users", "list", "--user", "admin@example.org", "--json"],
                         cwd=REPO, env=team_app["env"], capture_output=True, text=True, timeout=120)
    assert EMAIL in log.stdout
