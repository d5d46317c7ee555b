"""A stateful emulator of the Toss Payments core API and its hosted checkout page.

It plays the other party, so it imports nothing from `toss_graphql`, the API in front of it.
Run it alone with `toss-sandbox` (or `python -m toss_sandbox`, or `toss-graphql sandbox`).
"""

from toss_sandbox.app import Sandbox
from toss_sandbox.config import SandboxConfig
from toss_sandbox.standalone import run_standalone

__all__ = ["Sandbox", "SandboxConfig", "run_standalone"]
