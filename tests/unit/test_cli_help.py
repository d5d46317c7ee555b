"""`toss-graphql --help` and each command's: every command and option says what it is."""

from __future__ import annotations

import argparse

import pytest

from toss_graphql.cli import _parser


def commands() -> dict[str, argparse.ArgumentParser]:
    [chooser] = [a for a in _parser()._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(chooser.choices)


def test_every_command_has_a_description() -> None:
    [chooser] = [a for a in _parser()._actions if isinstance(a, argparse._SubParsersAction)]
    described = {action.dest: action.help for action in chooser._choices_actions}
    assert set(described) == set(commands())
    assert all(described.values()), described


@pytest.mark.parametrize("name", sorted(commands()))
def test_every_option_says_what_it_is_and_its_default(name: str) -> None:
    command = commands()[name]
    text = command.format_help()
    for action in command._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        assert action.help, f"{name} {action.option_strings or action.dest} has no help"
        if action.option_strings and action.default not in (None, False, []):
            assert f"(default: {action.default})" in text, (name, action.dest)
