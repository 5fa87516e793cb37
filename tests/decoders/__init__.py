"""Decoder tests: mirror neurodecode/decoders."""
