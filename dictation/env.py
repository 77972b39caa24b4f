"""The environment: the variables dictation reads (``DICTATION_*``, named after the config keys,
and the OPENAI_* names other tools use), and the environment of the processes it starts: its
own, without the API key, the file it is kept in, or a base URL (which may carry a password).

Typing tools, xmodmap, the clipboard helper and notify-send need the session's variables
(DISPLAY, WAYLAND_DISPLAY, XDG_RUNTIME_DIR, the locale) and nothing of the engine's. A tool
that dumps its environment in a crash report, or a look-alike earlier on PATH, must not get
the key. The daemon also removes these variables from its own environment once the key is
read (:func:`forget_secrets`), so children that libraries start (pyperclip runs xclip) go
without them too. Standard library only: `dictation ctl` reads the socket's variable here.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, MutableMapping

ENV_PREFIX = "DICTATION_"
CONFIG_ENV = "DICTATION_CONFIG"
# Names other tools use for two keys; the DICTATION_* names win when both are set.
ENV_ALIASES = {"base-url": "OPENAI_BASE_URL", "api-key": "OPENAI_API_KEY"}


def env_name(key: str) -> str:
    """The variable of a config key: ``DICTATION_`` and the key in capitals, ``_`` for ``-``."""
    return ENV_PREFIX + key.upper().replace("-", "_")


SECRET_VARIABLES = frozenset({
    env_name("api-key"), ENV_ALIASES["api-key"], env_name("api-key-file"),
    env_name("base-url"), ENV_ALIASES["base-url"], env_name("rewrite-url"),
})
"""DICTATION_API_KEY, OPENAI_API_KEY, DICTATION_API_KEY_FILE, DICTATION_BASE_URL,
OPENAI_BASE_URL and DICTATION_REWRITE_URL (URLs may carry a password)."""


def child_env(env: Mapping[str, str] | None = None, **extra: str) -> dict[str, str]:
    """``env`` (default: ours) without the secret variables, plus ``extra``."""
    base = os.environ if env is None else env
    return {**{k: v for k, v in base.items() if k not in SECRET_VARIABLES}, **extra}


def forget_secrets(environ: MutableMapping[str, str] | None = None) -> None:
    """Remove the secret variables from ``environ`` (default: this process's environment),
    once their values have been read into the configuration."""
    env = os.environ if environ is None else environ
    for name in SECRET_VARIABLES:
        env.pop(name, None)
