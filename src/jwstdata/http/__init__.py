"""Request plumbing the API and the dashboard share: the services built once at start-up
(:mod:`.container`), who is calling (:mod:`.deps`) and browser sessions with CSRF
(:mod:`.session`). It sits below ``api`` and ``web`` so that neither imports the other."""
