"""Rasa's admin token: read from the environment (never from the command line) and
compared in constant time.

Rasa's HTTP API (``--enable-api``) opens every conversation's tracker, writes into any
of them and loads models (``PUT /model``) for whoever shows its ``--auth-token``. Two
things are wrong with how ``rasa run`` handles it:

* the token is an argument, so ``ps`` shows it to every user of the machine;
* ``rasa.server.requires_auth`` compares it with ``==``, which returns as soon as a
  character differs.

:func:`arguments_with_token` adds ``--auth-token`` to the arguments the Python process
parses (``sys.argv``), after it has started: the kernel's copy of the command line, which
``ps`` and ``/proc/<pid>/cmdline`` read, never holds it. The token comes from
``RASA_API_TOKEN`` or from the file named by ``RASA_API_TOKEN_FILE``. A token given on the
command line is refused. :func:`install_constant_time_check` replaces Rasa's decorator
with one that compares with :func:`hmac.compare_digest` and otherwise leaves the rest
(JWT, error answers) to Rasa's own.
"""
from __future__ import annotations

import hmac
from functools import wraps
from inspect import isawaitable
from pathlib import Path
from typing import Any, Callable, List, Mapping, Optional

MIN_LENGTH = 16
TOKEN_OPTION = "--auth-token"

_installed = False


class AdminTokenError(ValueError):
    """The admin token is missing, too short, or on the command line."""


def token_from_environment(environ: Mapping[str, str]) -> Optional[str]:
    """``RASA_API_TOKEN``, else the first line of the file ``RASA_API_TOKEN_FILE``."""
    token = environ.get("RASA_API_TOKEN") or ""
    path = environ.get("RASA_API_TOKEN_FILE") or ""
    if not token and path:
        try:
            token = Path(path).read_text(encoding="utf-8").strip()
        except OSError as error:
            raise AdminTokenError(f"RASA_API_TOKEN_FILE cannot be read ({error.strerror})")
    return token or None


def arguments_with_token(argv: List[str], environ: Mapping[str, str]) -> List[str]:
    """``argv`` (``sys.argv``) with the admin token of ``environ`` added, for ``run``."""
    if any(a == TOKEN_OPTION or a.startswith(TOKEN_OPTION + "=") for a in argv[1:]):
        raise AdminTokenError(
            "the admin token must not be on the command line (ps shows it): "
            "set RASA_API_TOKEN or RASA_API_TOKEN_FILE instead of --auth-token")
    if len(argv) < 2 or argv[1] != "run":
        return list(argv)
    token = token_from_environment(environ)
    if token is None:
        return list(argv)
    if len(token) < MIN_LENGTH:
        raise AdminTokenError(f"RASA_API_TOKEN is too short ({MIN_LENGTH} characters or more)")
    return [*argv, f"{TOKEN_OPTION}={token}"]


def token_matches(provided: Any, token: str) -> bool:
    """Whether ``provided`` is ``token``, in time that does not depend on where they differ."""
    if not isinstance(provided, str):
        return False
    return hmac.compare_digest(provided.encode("utf-8"), token.encode("utf-8"))


def install_constant_time_check() -> None:
    """Replace ``rasa.server.requires_auth`` (before ``create_app`` runs; once)."""
    global _installed
    if _installed:
        return
    import rasa.server

    rasa_check = rasa.server.requires_auth

    def requires_auth(app: Any, token: Optional[str] = None) -> Callable:
        def decorator(handler: Callable) -> Callable:
            # Rasa's own check without a token: JWT when configured, else its 401.
            # With no token and no JWT, Rasa lets everyone in; so does this.
            # With a token, Rasa's check with one no request can carry: JWT when
            # configured, else its 401.
            otherwise = rasa_check(app, None if token is None else _NEVER)(handler)

            @wraps(handler)
            async def decorated(request: Any, *args: Any, **kwargs: Any) -> Any:
                if token is not None and token_matches(request.args.get("token"), token):
                    result = handler(request, *args, **kwargs)
                    return await result if isawaitable(result) else result
                return await otherwise(request, *args, **kwargs)

            return decorated

        return decorator

    rasa.server.requires_auth = requires_auth
    _installed = True


# A token no request can carry (request arguments are text): Rasa's own check, given
# it, never lets a request in by token.
_NEVER: Any = object()
