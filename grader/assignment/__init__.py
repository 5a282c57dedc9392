"""What an assignment asks: specs, packs and student editions."""
