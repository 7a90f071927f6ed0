"""Abbey, the empathetic polymath: emotion-aware, remembers, reasons out loud."""
