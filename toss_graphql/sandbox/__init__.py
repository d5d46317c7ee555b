"""A stateful emulator of the Toss Payments core API and its hosted checkout page.

It plays the other party, so it imports nothing from the rest of `toss_graphql`.
"""

from toss_graphql.sandbox.app import Sandbox
from toss_graphql.sandbox.config import SandboxConfig
from toss_graphql.sandbox.standalone import run_standalone

__all__ = ["Sandbox", "SandboxConfig", "run_standalone"]
