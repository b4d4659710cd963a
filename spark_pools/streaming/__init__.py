"""Real time: till and stock-room events streamed from Event Hubs (Kafka protocol) into the lakehouse."""
