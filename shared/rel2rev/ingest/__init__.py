"""Ingestion: verify webhook senders, parse native payloads into typed events, apply them."""
