"""`make run`: honcho runs the Procfile, with a clean stop and the login banner once everything is up.

`honcho start` alone sends SIGTERM to each process group (so Celery's pool children die under the
worker's feet and it logs ERRORs), SIGKILLs whatever is still stopping after 5 s, and exits 130/143
after a Ctrl-C. Here the same honcho Manager runs the same Procfile, but a stop signals each process
itself (gunicorn and Celery stop their own children), waits long enough for a warm shutdown, and
exits 0 when everything stopped because it was asked to.
"""

import argparse
import os
import signal
import sys
import time
from pathlib import Path

from honcho import environ, manager
from honcho.compat import ProcessManager
from honcho.printer import Message, Printer

# A Celery warm shutdown on the filesystem transport takes a few seconds; 5 s (honcho's) is too short.
manager.KILL_WAIT = 30
BANNER_FILE = "run-banner.txt"
# A line each process prints once it serves; the banner waits for all three.
READY = {"web": "Listening at:", "worker": "worker ready:", "beat": "beat ready:"}
BANNER_DEADLINE_S = 120  # print it anyway: a process that never says it is ready has its own log lines


class LeaderOnly(ProcessManager):
    """SIGTERM to the process (gunicorn master, Celery main), not its group: each stops its own children."""

    def terminate(self, pid: int) -> None:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass


class BannerPrinter(Printer):
    """Honcho's printer that repeats the login banner once every process said it is ready."""

    def __init__(self, *args, banner: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.banner = banner
        self.waiting = set(READY)
        self.started = time.monotonic()
        self.shown = False

    def write(self, message: Message) -> None:
        super().write(message)
        if self.shown or message.type != "line":
            return
        name = message.name.split(".")[0]
        text = message.data.decode(errors="replace") if isinstance(message.data, bytes) else str(message.data)
        if name in self.waiting and READY[name] in text:
            self.waiting.discard(name)
        if not self.waiting or time.monotonic() - self.started > BANNER_DEADLINE_S:
            self.shown = True
            self.output.write("\n" + self.banner.rstrip() + "\n\n")
            self.output.flush()


def stopped_cleanly(processes: dict) -> bool:
    """True when every process ended by itself on our SIGTERM (or with 0), none SIGKILLed."""
    return all(p.get("returncode") in (0, -signal.SIGTERM, 128 + signal.SIGTERM) for p in processes.values())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--procfile", default="Procfile")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    args = parser.parse_args(argv)

    var_dir = Path(os.environ.get("VAR_DIR") or Path(__file__).resolve().parent.parent / "var")
    banner_file = var_dir / BANNER_FILE
    banner = banner_file.read_text() if banner_file.exists() else ""
    printer = BannerPrinter(sys.stdout, banner=banner) if banner else Printer(sys.stdout)
    runner = manager.Manager(printer)
    runner._procmgr = LeaderOnly()

    procfile = environ.parse_procfile(Path(args.procfile).read_text())
    for process in environ.expand_processes(procfile.processes, port=args.port):
        env = {**os.environ, **process.env}
        runner.add_process(process.name, process.cmd, quiet=process.quiet, env=env)
    runner.loop()

    asked_to_stop = runner.returncode in (128 + signal.SIGINT, 128 + signal.SIGTERM)
    if asked_to_stop and stopped_cleanly(runner._processes):
        print("all processes stopped")
        return 0
    return runner.returncode or 0


if __name__ == "__main__":
    sys.exit(main())
