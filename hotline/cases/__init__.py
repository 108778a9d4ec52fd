"""Cases: everything one worker has asked, with a reference they can read out."""
