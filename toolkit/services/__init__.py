"""Use cases of closing the loop (issue 12): domain logic wired to the store. Pages, commands
and the hooks in existing flows (screening, round close) call these; nothing here draws widgets."""
