// Case 74: a presence server written against Kamailio's KEMI (KSR.*).
// PUBLISH and SUBSCRIBE go to KSR.presence; a MESSAGE runs the function its
// X-Op header names and answers "200 rc=<return code>".

function reply(code, reason) {
	KSR.sl.sl_send_reply(code, reason);
}

function message() {
	var op = KSR.pv.get("$hdr(X-Op)");
	var ru = KSR.pv.get("$ru");
	var rc;

	if (op == "basic") {
		rc = KSR.presence_xml.pres_check_basic(ru, KSR.pv.get("$hdr(X-Arg)"));
	} else if (op == "activities") {
		rc = KSR.presence_xml.pres_check_activities(ru, KSR.pv.get("$hdr(X-Arg)"));
	} else if (op == "auth") {
		rc = KSR.presence.pres_auth_status(KSR.pv.get("$fu"), ru);
	} else if (op == "has") {
		rc = KSR.presence.pres_has_subscribers(ru, KSR.pv.get("$hdr(X-Arg)"));
	} else if (op == "refresh") {
		rc = KSR.presence.pres_refresh_watchers(ru, "presence", 1);
	} else if (op == "refresh-file") {
		rc = KSR.presence.pres_refresh_watchers_file(ru, "presence", 2,
				"sip:xcap@127.0.0.1/pidf-manipulation", "index.xml");
	} else if (op == "update") {
		rc = KSR.presence.pres_update_watchers(ru, "presence");
	} else if (op == "pua") {
		rc = KSR.pua.pua_update_contact();
	} else {
		reply(400, "Unknown Op");
		return;
	}
	reply(200, "rc=" + rc);
}

function ksr_request_route() {
	var m = KSR.pv.get("$rm");

	if (m == "PUBLISH") {
		if (KSR.hdr.is_present("Sender") > 0) {
			KSR.presence.handle_publish_uri(KSR.pv.get("$hdr(Sender)"));
		} else {
			KSR.presence.handle_publish();
		}
		return;
	}
	if (m == "SUBSCRIBE") {
		if (KSR.hdr.is_present("P-Asserted-Identity") > 0) {
			KSR.presence.handle_subscribe_uri(KSR.pv.get("$ai"));
		} else {
			KSR.presence.handle_subscribe();
		}
		return;
	}
	if (m == "MESSAGE") {
		message();
		return;
	}
	if (m == "OPTIONS") {
		reply(200, "OK");
		return;
	}
	if (m == "ACK") {
		return;
	}
	reply(405, "Method Not Allowed");
}
