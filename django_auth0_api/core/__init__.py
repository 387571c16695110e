"""The verification core: no DRF, no views."""
