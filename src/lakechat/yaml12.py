"""A YAML loader with YAML 1.2 booleans, for every file lakechat reads that people write.

PyYAML follows YAML 1.1, where on/off/yes/no/NO are booleans: a value synonym ``N`` or a
gold row ``[NO]`` would silently become False. Only true/false are booleans here.
"""

from __future__ import annotations

import re

import yaml


class Yaml12Loader(yaml.SafeLoader):
    """SafeLoader whose booleans are only true/false (YAML 1.2), never on/off/yes/no."""


Yaml12Loader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
