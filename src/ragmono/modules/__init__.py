"""Business modules, one folder each: controller (HTTP) -> service (logic) -> ports."""
