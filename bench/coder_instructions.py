"""Benchmark: instructions the event coder executes per seed article (valgrind/callgrind).

    python -m bench.coder_instructions [--rounds 10]

CPU time drifts by a fifth within hours on a shared virtual machine; the count of executed
instructions does not. This runs the coder under callgrind with instrumentation switched on
only around the measured loop (after loading and warming up, before interpreter teardown)
and prints millions of instructions per article for the build that ran (compiled or pure:
``MARSAD_COMPILED=off`` for the latter). Needs valgrind (Debian: ``apt-get install valgrind``).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _measured_child(rounds: int, flag: Path) -> None:
    """Warm up, say ready, wait for instrumentation, code ``rounds`` x the seeds, exit hard."""
    from bench.coder_speed import load_corpus
    from processors.coder.events import code_article
    from processors.stages import warm_up

    corpus = load_corpus("seeds")
    for text, anchor in corpus:
        code_article(text, anchor)
    warm_up()
    flag.with_suffix(".ready").write_text(str(len(corpus)))
    while not flag.with_suffix(".go").exists():
        time.sleep(0.05)
    for _ in range(rounds):
        for text, anchor in corpus:
            code_article(text, anchor)
    sys.stdout.flush()
    os._exit(0)  # no teardown inside the count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _measured_child(args.rounds, Path(args.child))
    valgrind, control = shutil.which("valgrind"), shutil.which("callgrind_control")
    if valgrind is None or control is None:
        raise SystemExit("valgrind is not installed (Debian: apt-get install valgrind)")
    from marsad.compiled import describe

    with tempfile.TemporaryDirectory(prefix="marsad-callgrind-") as tmp:
        flag, log = Path(tmp) / "flag", Path(tmp) / "valgrind.log"
        with log.open("w") as out:
            child = subprocess.Popen(  # noqa: S603 - fixed argv built here
                [valgrind, "--tool=callgrind", "--instr-atstart=no",
                 f"--callgrind-out-file={tmp}/callgrind.out", sys.executable, "-m",
                 "bench.coder_instructions", "--rounds", str(args.rounds), "--child", str(flag)],
                cwd=ROOT, stdout=out, stderr=out, env={**os.environ, "PYTHONHASHSEED": "0"})
            print("loading and warming up under valgrind (a minute or two)...", file=sys.stderr)
            while not flag.with_suffix(".ready").exists():
                if child.poll() is not None:
                    raise SystemExit(f"the measured process ended early:\n{log.read_text()}")
                time.sleep(0.5)
            subprocess.run([control, "-i", "on", str(child.pid)],  # noqa: S603
                           check=True, capture_output=True)
            stories = int(flag.with_suffix(".ready").read_text())
            flag.with_suffix(".go").touch()
            child.wait()
        found = re.search(r"Collected : (\d+)", log.read_text())
        if found is None:
            raise SystemExit(f"no instruction count in valgrind's output:\n{log.read_text()}")
    articles = args.rounds * stories
    print(f"coder ({describe()}): {int(found.group(1)) / articles / 1e6:.2f} M instructions "
          f"per seed article ({args.rounds} rounds of the {stories} seed stories)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
