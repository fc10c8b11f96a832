"""CLI commands of the gnn stage; each is registered by appending it to COMMANDS."""

from __future__ import annotations

import click

COMMANDS: list[click.Command] = []
