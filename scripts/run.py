"""`make run`: migrate, load demo data, start a background worker and the portal; Ctrl-C stops all.

Runs under scripts/embedded_pg.py, so DATABASE_URL is set (embedded PostgreSQL unless you set one).
Without REDIS_URL the worker uses Celery's filesystem transport under .data/broker (no Redis needed).
Each child runs in a process group of its own and gets SIGTERM if this script dies; when any child exits (or on
Ctrl-C) every group is stopped, so the worker's embedded beat and pool processes never outlive it.
"""

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
HOST = os.environ.get("PORTAL_HOST", "127.0.0.1")
PORT = os.environ.get("PORTAL_PORT", "8000")
# Both queues of CELERY_TASK_QUEUES: "celery" for the work people start, "periodic" for the beat tasks
# and the work they recover (partnercenter/celery.py).
WORKER_QUEUES = "celery,periodic"
PR_SET_PDEATHSIG = 1


def manage(*args):
    subprocess.run([PY, "manage.py", *args], cwd=ROOT, check=True)


def worker_command(schedule, concurrency=2):
    """One worker on both queues with the scheduler embedded (`--beat`): exactly one beat for `make run`."""
    return [PY, "-m", "celery", "-A", "partnercenter", "worker", "--beat", "-Q", WORKER_QUEUES, "--loglevel", "INFO",
            "--concurrency", str(concurrency), "--schedule", str(schedule)]


def _die_with_parent():
    """In the child before exec: Linux sends it SIGTERM when this script dies, even by SIGKILL."""
    if sys.platform.startswith("linux"):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class OutputRelay:
    """Copies the children's output to ours line by line and remembers when the last line came, so the demo
    sign-ins are printed after the worker has sent the demo's e-mails (the console backend prints each one)."""

    def __init__(self, out=None, clock=time.monotonic):
        self.out = out or sys.stdout
        self.clock = clock
        self.last = clock()
        self.lock = threading.Lock()
        self.text_seen = ""  # the last few kilobytes written, for wait_quiet(after=...)

    def follow(self, stream):
        thread = threading.Thread(target=self._copy, args=(stream,), daemon=True)
        thread.start()
        return thread

    def _copy(self, stream):
        for line in iter(stream.readline, ""):
            self.write(line)

    def write(self, text):
        with self.lock:
            self.out.write(text)
            self.out.flush()
            self.last = self.clock()
            self.text_seen = (self.text_seen + text)[-4096:]
            if getattr(self, "_marker", None) and self._marker in self.text_seen:
                self.marker_seen = True

    def expect(self, marker):
        """Make wait_quiet wait for a line holding `marker` (the worker's "ready.") before it counts the quiet: a
        child slow to start (Django takes seconds on a busy machine) is not silence."""
        with self.lock:
            self._marker = marker
            self.marker_seen = marker in self.text_seen

    def wait_quiet(self, quiet=3.0, timeout=120.0, poll=0.2, stop=lambda: False):
        """Wait until no child printed anything for `quiet` seconds, after the expected marker if any (at most
        `timeout`, or until `stop()`); True when it went quiet."""
        start = self.clock()
        while self.clock() - start < timeout and not stop():
            ready = not getattr(self, "_marker", None) or self.marker_seen
            if ready and self.clock() - self.last >= quiet:
                return True
            time.sleep(poll)
        return False


def spawn(command, env, relay=None):
    """Start a child in a process group of its own: the worker's pool processes and its embedded beat join that
    group, so stopping the group stops them all, also after the worker's main process was killed. With a relay,
    its output (stdout and stderr) goes through it."""
    pipe = {"stdout": subprocess.PIPE, "stderr": subprocess.STDOUT, "text": True, "bufsize": 1} if relay else {}
    child = subprocess.Popen(command, cwd=ROOT, env=env, process_group=0, preexec_fn=_die_with_parent, **pipe)
    if relay:
        relay.follow(child.stdout)
    return child


def group_alive(pgid) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stop_groups(children, timeout=15.0, grace=10.0):
    """SIGTERM to each child's main process first: the worker then stops its own pool and embedded beat (a warm
    shutdown, without "ForkPoolWorker exited with signal 15" errors on the console). After `grace` seconds, or at
    once for a child whose main process is gone, SIGTERM to its whole process group; SIGKILL to what is left after
    `timeout` more seconds."""
    for child in children:
        if child.poll() is None:
            try:
                os.kill(child.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(child.poll() is None for child in children):
        time.sleep(0.1)
    for child in children:
        try:
            os.killpg(child.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for child in children:
            child.poll()  # reap our own child, or its zombie keeps the group alive
        if not any(group_alive(child.pid) for child in children):
            return
        time.sleep(0.1)
    for child in children:
        try:
            os.killpg(child.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        child.wait()


def supervise(children, stopping=lambda: False):
    """Wait until asked to stop or until any child exits (the worker's main process killed, the server crashed),
    then stop every child's whole process group: no orphaned beat keeps sending periodic tasks."""
    try:
        while not stopping() and all(child.poll() is None for child in children):
            time.sleep(0.5)
    finally:
        stop_groups(children)


def main():
    env = os.environ.copy()
    env.setdefault("PORTAL_BASE_URL", f"http://{HOST}:{PORT}")
    os.environ.update(env)
    if not env.get("REDIS_URL") and not env.get("CELERY_BROKER_URL"):
        for sub in ("queue", "processed", "control"):
            (ROOT / ".data" / "broker" / sub).mkdir(parents=True, exist_ok=True)
    manage("migrate", "--no-input", "-v", "0")
    (ROOT / "staticfiles").mkdir(exist_ok=True)
    demo = subprocess.run([PY, "manage.py", "load_demo"], cwd=ROOT, check=True, capture_output=True, text=True).stdout
    env.setdefault("PYTHONUNBUFFERED", "1")  # the children's lines reach the relay as they are written
    relay = OutputRelay()
    relay.expect(" ready.")  # Celery's "celery@host ready." once it consumes: the demo's e-mails follow it
    children = [
        spawn(worker_command(ROOT / ".data" / "celerybeat-schedule"), env, relay),
        spawn([PY, "manage.py", "runserver", f"{HOST}:{PORT}", "--noreload"], env, relay),
    ]
    stopping = False

    def stop(_signum=None, _frame=None):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGHUP, stop)
    # The worker and the web server print their banners and the worker sends the demo's e-mails (printed by the
    # console backend) first; the sign-ins come last, once their output has been quiet for a few seconds.
    time.sleep(2)
    relay.wait_quiet(stop=lambda: stopping)
    relay.write(demo + f"\n\nThe portal is at http://{HOST}:{PORT}/  (Ctrl-C stops the portal, the worker and the "
                       "database)\n\n")
    supervise(children, lambda: stopping)
    return 0


if __name__ == "__main__":
    sys.exit(main())
