"""Denoising-diffusion generator of human-like pointer movements (registered as ``diffusion``)."""
