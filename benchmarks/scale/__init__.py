"""The scaling curve of the batch stages, the hand-written SQL yardstick and the cost model."""
