"""The mock's state and rules: storage, records, validation, Sync, OAuth, tokens,
rate limits and faults. Nothing here knows HTTP or Werkzeug."""
