"""The one renderer: commands return data, `emit()` prints it."""
