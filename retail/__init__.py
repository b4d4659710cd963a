"""Shared core of the retail platform: settings, pinned versions, JVM jars and the `retail` CLI."""
