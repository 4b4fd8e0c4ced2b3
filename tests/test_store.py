"""The artifact store over S3: a real S3 server (moto's, on a loopback port) between the app and a
node, each with its own connection, as two machines would be."""

import socket

import pytest
import s3fs
from moto.server import ThreadedMotoServer

from core.training.executors import store


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def bucket(monkeypatch):
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_DEFAULT_REGION": "us-east-1", "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}"}.items():
        monkeypatch.setenv(name, value)
    node = s3fs.S3FileSystem(skip_instance_cache=True)  # the node's own connection
    node.mkdir("runs-bucket")
    try:
        yield node
    finally:
        server.stop()


def test_a_run_folder_travels_through_s3_whole_and_incrementally(bucket, tmp_path):
    run = tmp_path / "run"
    (run / "model" / "models").mkdir(parents=True)
    (run / "plan.json").write_text('{"rows": 3}')
    (run / "model" / "models" / "weights.pkl").write_bytes(b"\0" * 300_000)
    (run / "events.jsonl").write_text('{"event": "started"}\n')
    app, root = store.open_store("s3://runs-bucket/commonground")
    remote = f"{root}/runs/run"

    sent: dict = {}
    assert store.mirror(store.LOCAL, str(run), app, remote, sent) == 3
    assert store.mirror(store.LOCAL, str(run), app, remote, sent) == 0  # nothing changed, nothing moves
    assert bucket.cat(f"{remote}/model/models/weights.pkl") == b"\0" * 300_000
    assert not [p for p in bucket.find(remote) if p.endswith(".part")]  # written beside, then renamed

    # The node appends events; the app, which listed the folder before, must see the new lines.
    seen: dict = {}
    back = tmp_path / "back"
    assert store.mirror(app, remote, store.LOCAL, str(back), seen, only=("events.jsonl",)) == 1
    bucket.pipe(f"{remote}/events.jsonl", b'{"event": "started"}\n{"event": "model"}\n')
    assert store.mirror(app, remote, store.LOCAL, str(back), seen, only=("events.jsonl",)) == 1
    assert (back / "events.jsonl").read_text().count("\n") == 2
    assert store.mirror(app, remote, store.LOCAL, str(back), seen) == 2  # the final copy: the rest
    assert (back / "model" / "models" / "weights.pkl").stat().st_size == 300_000
    # Rewritten within the same second at the same size (S3 keeps times to the second): still seen.
    bucket.pipe(f"{remote}/plan.json", b'{"rows": 4}')
    assert store.mirror(app, remote, store.LOCAL, str(back), seen, only=("plan.json",)) == 1
    assert (back / "plan.json").read_text() == '{"rows": 4}'
