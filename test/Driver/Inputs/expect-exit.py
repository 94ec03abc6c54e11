"""Runs a command and fails unless it exits with the given status.

Usage: expect-exit.py STATUS COMMAND [ARGS...]. The command's stdout and
stderr pass through, so FileCheck can still check its messages; `not` only
tells zero from non-zero, and bertc's exit codes carry meaning.
"""
import subprocess
import sys

expected = int(sys.argv[1])
proc = subprocess.run(sys.argv[2:])
if proc.returncode != expected:
    sys.stderr.write("expect-exit: %s exited with %d, expected %d\n"
                     % (sys.argv[2], proc.returncode, expected))
    sys.exit(1)
