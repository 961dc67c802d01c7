"""Reading deployment files without Docker: a Dockerfile's instructions, compose interpolation,
and .dockerignore matching, as far as the tests of the shipped files need them.
"""

from __future__ import annotations

import fnmatch
import json
import re
import shlex
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

_INTERPOLATION = re.compile(r"\$\{(\w+)(?::?([-?])([^}]*))?\}")


@dataclass(frozen=True)
class Instruction:
    """One Dockerfile instruction: upper-cased keyword, its flags and its arguments."""

    keyword: str
    flags: dict[str, str]
    args: list[str]
    exec_form: bool
    line: int

    @property
    def text(self) -> str:
        """The arguments as one string."""
        return " ".join(self.args)


def parse_dockerfile(text: str) -> list[list[Instruction]]:
    """The instructions of each stage (a stage starts at FROM); raises ValueError when malformed.

    Handles comments, blank lines, ``\\`` continuations, ``--flag=value`` options and the JSON
    (exec) form; that is all the shipped Dockerfile uses.
    """
    stages: list[list[Instruction]] = []
    logical: list[tuple[int, str]] = []
    pending, start = "", 0
    for number, raw in enumerate(text.splitlines(), 1):
        stripped = raw.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if pending and stripped.startswith("#"):
            continue  # comment lines inside a continued instruction are dropped by Docker too
        start = start or number
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        logical.append((start, pending + stripped))
        pending, start = "", 0
    if pending:
        raise ValueError("the Dockerfile ends inside a continued line")
    for number, line in logical:
        keyword, _, rest = line.partition(" ")
        keyword = keyword.upper()
        if not keyword.isalpha():
            raise ValueError(f"line {number}: not an instruction: {line!r}")
        flags: dict[str, str] = {}
        rest = rest.strip()
        while rest.startswith("--") and keyword not in ("RUN", "CMD", "ENTRYPOINT"):
            flag, _, rest = rest.partition(" ")
            name, _, value = flag[2:].partition("=")
            flags[name] = value
            rest = rest.strip()
        head: list[str] = []
        if keyword == "HEALTHCHECK" and rest.upper().startswith("CMD "):
            head, rest = ["CMD"], rest[4:].strip()
        exec_form = rest.startswith("[")
        if exec_form:
            args = json.loads(rest)
            if not all(isinstance(a, str) for a in args):
                raise ValueError(f"line {number}: exec form must be a JSON list of strings")
        else:
            args = shlex.split(rest, posix=True) if rest else []
        instruction = Instruction(keyword, flags, head + args, exec_form, number)
        if keyword == "FROM":
            stages.append([])
        elif not stages:
            raise ValueError(f"line {number}: {keyword} before the first FROM")
        stages[-1].append(instruction)
    return stages


def env_of(stage: list[Instruction]) -> dict[str, str]:
    """Every ``ENV KEY=value`` of a stage (the ``KEY=value`` form only)."""
    out: dict[str, str] = {}
    for ins in stage:
        if ins.keyword == "ENV":
            for pair in ins.args:
                key, sep, value = pair.partition("=")
                if not sep:
                    raise ValueError(f"line {ins.line}: use ENV KEY=value")
                out[key] = value
    return out


def dockerignored(path: str, patterns: list[str]) -> bool:
    """Whether .dockerignore ``patterns`` leave ``path`` (relative) out of the build context."""
    ignored = False
    parts = PurePosixPath(path).parts
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    for pattern in patterns:
        negate = pattern.startswith("!")
        pat = pattern.lstrip("!").strip("/")
        if any(
            fnmatch.fnmatch(p, pat) or fnmatch.fnmatch(p, pat.replace("**/", "")) for p in prefixes
        ):
            ignored = not negate
    return ignored


def read_dockerignore(path: Path) -> list[str]:
    """The patterns of a .dockerignore file."""
    if not path.exists():
        return []
    lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
    return [line for line in lines if line and not line.startswith("#")]


def interpolate(value: Any, env: dict[str, str]) -> Any:
    """Compose-style ``${VAR}``, ``${VAR:-default}`` and ``${VAR:?message}`` substitution.

    A required variable missing from ``env`` raises KeyError naming it (compose refuses to
    start then, too).
    """
    if isinstance(value, dict):
        return {k: interpolate(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, env) for v in value]
    if not isinstance(value, str):
        return value

    def substitute(match: re.Match[str]) -> str:
        name, op, arg = match.group(1), match.group(2), match.group(3)
        if name in env and env[name] != "":
            return env[name]
        if op == "?":
            raise KeyError(f"{name} is required: {arg}")
        return arg if op == "-" else ""

    return _INTERPOLATION.sub(substitute, value)
