"""Upstream: the personas' replica groups, health watches, breakers, balancing and the channels to the mesh."""
