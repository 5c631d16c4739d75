"""JupyterLab, for real: start it headless on loopback, list the course, run a kernel with utils."""
import json
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest
from tornado import ioloop, websocket

ROOT = Path(__file__).resolve().parent.parent


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    port, token = free_port(), secrets.token_hex(16)
    runtime = tmp_path_factory.mktemp("jupyter-runtime")
    log = open(runtime / "server.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root",
         "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={ROOT}",
         "--LabApp.news_url=", "--LabApp.collaborative=False"],
        stdout=log, stderr=subprocess.STDOUT,
        env={**__import__("os").environ, "JUPYTER_RUNTIME_DIR": str(runtime)})
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 90
        while True:
            try:
                api(base, token, "GET", "/api/status")
                break
            except OSError:
                if proc.poll() is not None or time.time() > deadline:
                    pytest.fail("JupyterLab did not start:\n"
                                + (runtime / "server.log").read_text())
                time.sleep(0.5)
        yield base, token
    finally:
        try:
            api(base, token, "POST", "/api/shutdown")
            proc.wait(timeout=30)
        except Exception:
            proc.kill()
        log.close()


def api(base, token, method, path, body=None):
    req = urllib.request.Request(base + path, method=method,
                                 data=None if body is None else json.dumps(body).encode(),
                                 headers={"Authorization": f"token {token}",
                                          "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        text = r.read()
        return json.loads(text) if text else None


def test_lab_serves_the_course(server):
    base, token = server
    with urllib.request.urlopen(f"{base}/lab?token={token}", timeout=30) as r:
        assert r.status == 200 and b"JupyterLab" in r.read()
    listing = api(base, token, "GET", "/api/contents/notebooks")
    names = sorted(item["name"] for item in listing["content"] if item["type"] == "notebook")
    expected = sorted(p.name for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    assert expected and names == expected


def test_no_token_no_access(server):
    base, _ = server
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(f"{base}/api/contents/notebooks", timeout=30)
    assert err.value.code == 403


def execute(ws_url, code, timeout=120):
    "Send one execute_request over the kernel's websocket; return (status, stdout)."
    async def run():
        conn = await websocket.websocket_connect(ws_url)
        msg_id = uuid.uuid4().hex
        conn.write_message(json.dumps({
            "header": {"msg_id": msg_id, "msg_type": "execute_request", "username": "test",
                       "session": uuid.uuid4().hex, "version": "5.3"},
            "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
            "content": {"code": code, "silent": False, "store_history": False,
                        "user_expressions": {},
                        "allow_stdin": False, "stop_on_error": True}}))
        out, status = [], None
        while status is None:
            msg = json.loads(await conn.read_message())
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            if msg["msg_type"] == "stream":
                out.append(msg["content"]["text"])
            elif msg["msg_type"] == "error":
                out.append("\n".join(msg["content"]["traceback"]))
            elif msg["msg_type"] == "execute_reply":
                status = msg["content"]["status"]
        conn.close()
        return status, "".join(out)
    return ioloop.IOLoop.current().run_sync(run, timeout=timeout)


def test_a_kernel_starts_and_imports_the_course_modules(server):
    base, token = server
    kernel = api(base, token, "POST", "/api/kernels", {"name": "python3", "path": "notebooks"})
    try:
        ws_url = f"{base.replace('http', 'ws')}/api/kernels/{kernel['id']}/channels?token={token}"
        code = ("import sys, utils, checks, explorers\nprint(sys.prefix)\n"
                "for m in (utils, checks, explorers): print(m.__file__)")
        status, out = execute(ws_url, code)
        assert status == "ok", out
        prefix, *files = out.split()
        # a notebook in notebooks/ imports the repository's modules (pyproject.toml's py-modules)
        assert [Path(f) for f in files] == [ROOT / "utils.py", ROOT / "checks" / "__init__.py",
                                            ROOT / "explorers.py"]
        assert Path(prefix) == Path(sys.prefix)  # the kernel runs in this environment
    finally:
        api(base, token, "DELETE", f"/api/kernels/{kernel['id']}")
