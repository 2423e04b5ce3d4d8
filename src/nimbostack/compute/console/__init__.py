"""The VNC console proxy (noVNC + websocket) and its access tokens."""
