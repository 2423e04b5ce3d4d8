"""The bundled "nimbo-guest" image (our CirrOS); the API is in nimbostack.guest_image.builder."""
