"""The bundled "nimbo-guest" image (our CirrOS); the API is in nimbostack.image.guest.builder."""
