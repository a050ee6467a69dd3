"""Publishing: how partner staff put courses on the portal and administrators review them."""
