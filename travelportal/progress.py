"""Progress bars for long management commands: shown on a terminal, silent otherwise.

A command run by hand gets a tqdm bar; the same command in cron, CI, a pipe or under
``call_command`` with a buffer prints only its summary, so logs and scripted output stay
as they were.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from django.core.management.base import BaseCommand, OutputWrapper
from tqdm import tqdm

T = TypeVar("T")


class _AsWritten:
    """A command's output as tqdm needs it: each write exactly as given, no line ending
    and no error colour added (Django's OutputWrapper adds both)."""

    def __init__(self, wrapper: OutputWrapper) -> None:
        self.wrapper = wrapper

    def write(self, text: str) -> None:
        self.wrapper.write(text, style_func=lambda s: s, ending="")

    def flush(self) -> None:
        self.wrapper.flush()


def with_progress(
    items: Iterable[T], *, command: BaseCommand, description: str, total: int | None = None, unit: str = "it"
) -> Iterable[T]:
    """``items``, with a bar on the command's stderr while its stdout is a terminal."""
    if not command.stdout.isatty():
        return items
    return tqdm(items, total=total, desc=description, unit=unit, file=_AsWritten(command.stderr))


def write_line(text: str, *, command: BaseCommand, items: Iterable) -> None:
    """Write a line of the command's output while ``items`` (from ``with_progress``) may
    be drawing a bar: the bar steps aside for the line instead of being overwritten."""
    if isinstance(items, tqdm):
        items.clear()
        command.stdout.write(text)
        items.refresh()
    else:
        command.stdout.write(text)
