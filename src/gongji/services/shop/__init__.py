"""A demo online pharmacy (网上药房) inside gongji: it sells a few OTC drugs and one
prescription drug, and takes 医保 through the mobile-payment core exactly as an outside
pharmacy would (authorize, 6201 upload, 6202 pay, ship, 6203 refund). See service.py."""
