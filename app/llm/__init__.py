"""Talking to model providers (OpenAI, Anthropic, OpenAI-compatible), keys and pricing; no NiceGUI here."""
