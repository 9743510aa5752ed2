"""Channels besides the portal through which customers reach the desk: inbound e-mail, Telegram."""
