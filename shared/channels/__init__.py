"""Channels: the ways customers reach the desk besides the portal and the web form (e-mail, messengers)."""
