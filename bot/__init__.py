"""Verbatim Telegram side: settings, CLI, handlers and rendering."""
