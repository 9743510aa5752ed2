"""The deployed stack rehearsed on this machine: each Lambda as Lambda runs it."""
