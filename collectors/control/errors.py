"""Why the control layer did not send an action: refused by policy, or invalid."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a request; ``field`` names the form field it is about."""

    field: str | None
    message: str


class ControlError(Exception):
    """Base of the control layer's refusals. Nothing was sent to the host."""

    outcome = "refused"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Refused(ControlError):
    """The policy forbids the action (read-only mode, a busy domain, no confirmation)."""


class ValidationFailed(ControlError):
    """The request is invalid for that host and domain; ``problems`` lists every reason."""

    outcome = "invalid"

    def __init__(self, problems: list[Problem] | tuple[Problem, ...]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(p.message for p in self.problems) or "invalid request")

    @classmethod
    def one(cls, message: str, field: str | None = None) -> ValidationFailed:
        return cls([Problem(field, message)])


class HostUnavailable(ValidationFailed):
    """The host could not be read (unreachable, or its answers unusable): nothing can be
    checked, so nothing is sent."""

    outcome = "refused"
