"""Reading stack config, from a `Pulumi.<stack>.yaml` file or from the engine, into a `StackConfig`.

Every failure is a `ConfigError` naming the file and the field; nothing here lets a pydantic or
YAML traceback reach a user.
"""

from __future__ import annotations

import collections
import copy
import hashlib
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from .base import FieldError
from .errors import ConfigError
from .stack import StackConfig

NAMESPACE = "azora"

#: the names Pulumi allows for a stack (and nothing else: a stack name becomes a file name)
STACK_NAME = re.compile(r"[A-Za-z0-9_.-]+")
#: Pulumi's own limit on a stack name's length
STACK_NAME_MAX = 100
#: the largest stack file (or Pulumi.yaml) read; real ones are a few KiB
MAX_YAML_BYTES = 1024 * 1024


class StackNameError(ValueError):
    """A stack name that is not ``[A-Za-z0-9_.-]+`` (without ``..``, at most 100 characters)."""


def check_stack_name(stack: object) -> str:
    """`stack` if it is a valid stack name, else StackNameError with a one-line reason."""
    if not isinstance(stack, str) or not stack:
        raise StackNameError("stack name is empty" if stack == "" else f"stack name must be a string, not {stack!r}")
    shown = ascii(stack) if len(stack) <= STACK_NAME_MAX else ascii(stack[:STACK_NAME_MAX]) + "..."
    if len(stack) > STACK_NAME_MAX:
        raise StackNameError(f"stack name {shown} is longer than {STACK_NAME_MAX} characters")
    if not STACK_NAME.fullmatch(stack) or ".." in stack:
        raise StackNameError(f"stack name {shown} is not valid: use only letters, digits, '_', '-' and '.' "
                             "(no '..', no '/')")
    return stack


def stack_file_name(stack: str) -> str:
    return f"Pulumi.{check_stack_name(stack)}.yaml"


class _AliasFound(yaml.YAMLError):
    def __init__(self, line: int) -> None:
        super().__init__(f"line {line}: YAML anchors and aliases are not allowed (write the value out)")


class _NoAliasLoader(yaml.SafeLoader):
    """Safe YAML without anchors and aliases (`&a`, `*a`, `<<: *a`): a few hundred bytes of
    aliases can expand into gigabytes. Stack files never need them."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise _AliasFound(event.start_mark.line + 1)
        return super().compose_node(parent, index)


#: documents parsed by `read_yaml_file` in this process, by the hash of the bytes read: a program
#: reads each stack file several times (its own, then the whole project for validation and for the
#: global columns), and parsing is pure Python (a copy is returned: callers may change it)
_PARSED: collections.OrderedDict[bytes, Any] = collections.OrderedDict()
_PARSED_LIMIT = 64


def read_yaml_file(path: Path, *, source: str | None = None, what: str = "stack file") -> Any:
    """A YAML document from `path`, bounded: at most `MAX_YAML_BYTES`, UTF-8, no anchors or
    aliases. Errors are a `ConfigError` naming the file (`source`, default the file name)."""
    source = source or path.name
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_YAML_BYTES + 1)
    except FileNotFoundError:
        raise ConfigError(source, "", f"no such {what} in {path.parent}") from None
    except IsADirectoryError:
        raise ConfigError(source, "", f"is a directory, not a {what}") from None
    except OSError as err:
        raise ConfigError(source, "", f"cannot read: {err.strerror or err}") from None
    if len(data) > MAX_YAML_BYTES:
        raise ConfigError(source, "", f"is larger than {MAX_YAML_BYTES // 1024} KiB, the limit for a {what}")
    key = hashlib.blake2b(data, digest_size=32).digest()
    if key in _PARSED:
        _PARSED.move_to_end(key)
        return copy.deepcopy(_PARSED[key])
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ConfigError(source, "", f"is not UTF-8 text (byte {err.start})") from None
    try:
        doc = yaml.load(text, Loader=_NoAliasLoader)  # a SafeLoader subclass
    except _AliasFound as err:
        raise ConfigError(source, "", str(err)) from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise ConfigError(source, "", f"not valid YAML{where}: {getattr(err, 'problem', err)}") from None
    except RecursionError:
        raise ConfigError(source, "", "is nested too deeply") from None
    _PARSED[key] = doc
    while len(_PARSED) > _PARSED_LIMIT:
        _PARSED.popitem(last=False)
    return copy.deepcopy(doc)


def read_stack_file(path: Path) -> tuple[dict[str, Any], list[str]]:
    """The `config:` block of a stack file as ``{"ns:key": value}``, and the secret keys.

    Values keep their YAML types (objects stay objects); ``{secure: ...}`` values are secrets
    (ciphertext, which only the CLI can decrypt) and are returned as-is. The file is read bounded
    (`read_yaml_file`: at most 1 MiB, no anchors or aliases).
    """
    source = path.name
    doc = read_yaml_file(path) or {}
    if not isinstance(doc, dict):
        raise ConfigError(source, "", "a stack file must be a mapping with a `config:` block")
    config = doc.get("config") or {}
    if not isinstance(config, dict):
        raise ConfigError(source, "config", "must be a mapping of namespaced keys")
    secrets = [str(k) for k, v in config.items() if isinstance(v, dict) and set(v) == {"secure"}]
    return {str(k): v for k, v in config.items()}, secrets


def _decode(value: Any) -> Any:
    """Engine config values are strings; objects and lists arrive JSON-encoded."""
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


_PLAIN_KEY = re.compile(r"^[A-Za-z0-9_:/@+=-]{1,128}$")


def _field_path(loc: tuple[int | str, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts[-1] = f"{parts[-1]}[{item}]" if parts else f"[{item}]"
        elif _PLAIN_KEY.match(str(item)):
            parts.append(str(item))
        else:
            # a key with spaces, control characters or dots: quoted, so the message stays one line
            # and names the key unambiguously
            parts.append(json.dumps(str(item)))
    return ".".join(parts)


def _message(err: Mapping[str, Any]) -> tuple[str, str]:
    """(field, message) for one pydantic error, in the stack file's own terms."""
    ctx = err.get("ctx") or {}
    inner = ctx.get("error")
    field = _field_path(tuple(err.get("loc", ())))
    if isinstance(inner, FieldError):
        return inner.field, inner.message
    kind = err.get("type", "")
    msg = str(err.get("msg", ""))
    if isinstance(inner, ValueError) and kind == "value_error":
        msg = str(inner)
    elif kind == "missing":
        msg = "is required"
    elif kind == "extra_forbidden":
        msg = "is not a known setting (check the spelling; see docs/configuration.md)"
    elif kind == "enum" and "expected" in ctx:
        msg = f"{err.get('input')!r} is not one of {ctx['expected']}"
    else:
        msg = f"{msg} (got {err.get('input')!r})" if "input" in err and not isinstance(
            err.get("input"), dict | list
        ) else msg
    return field, msg


def validation_error(source: str, error: ValidationError) -> ConfigError:
    problems = [_message(e) for e in error.errors()]
    (field, msg), rest = problems[0], problems[1:]
    more = [f"{NAMESPACE}:{f}: {m}" if f else m for f, m in rest]
    return ConfigError(source, f"{NAMESPACE}:{field}" if field else "", msg, more)


def parse_config(raw: Mapping[str, Any], source: str) -> StackConfig:
    """Validate the config of one stack (``{"ns:key": value}``, values as YAML or engine strings)."""
    section: dict[str, Any] = {}
    for key, value in raw.items():
        ns, _, name = key.partition(":")
        if ns == NAMESPACE and name:
            section[name] = _decode(value)
    if not section:
        raise ConfigError(source, "", f"no `{NAMESPACE}:` settings (see docs/configuration.md)")
    aws_region = _decode(raw.get("aws:region"))
    if not aws_region:
        raise ConfigError(source, "aws:region", "is required (the region the stack deploys to)")
    try:
        cfg = StackConfig.model_validate(section)
    except ValidationError as err:
        raise validation_error(source, err) from None
    if cfg.region != aws_region:
        raise ConfigError(
            source, f"{NAMESPACE}:region", f"{cfg.region} does not match aws:region {aws_region}"
        )
    return cfg


def load_stack_file(path: Path) -> StackConfig:
    raw, _ = read_stack_file(path)
    return parse_config(raw, path.name)


def engine_config() -> dict[str, Any]:
    """The running program's config as the engine passed it (inside `pulumi up` or under mocks)."""
    from pulumi.runtime import config as runtime_config

    merged: dict[str, Any] = dict(runtime_config.get_config_env())
    merged.update(runtime_config.CONFIG.get())
    return merged
