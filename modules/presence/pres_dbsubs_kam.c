/* update_db_subs_timer of presence_api_t: a consumer (rls) keeps its
 * subscriptions in its own shtable and its own table with the columns of
 * active_watchers (rls_watchers), and hands us its DB connection and
 * db_func_t, with its table already selected (use_table). For every record
 * we insert (INSERTDB_FLAG) or update (UPDATEDB_FLAG) its row (the columns
 * active_watchers and rls_watchers share: up to "updated") and mark it
 * clean; an expired record is given to handle_expired, its row deleted and
 * the record freed. */
#include "lib/srdb1/db.h"

#include "pres_kam.h"
#include "pres_shtable.h"

#define NCOLS 26
/* rls_watchers ends at "updated": the columns written */
#define NCOLS_WRITE 23

static str col_names[NCOLS] = {str_init("presentity_uri"),
		str_init("watcher_username"), str_init("watcher_domain"),
		str_init("to_user"), str_init("to_domain"), str_init("event"),
		str_init("event_id"), str_init("to_tag"), str_init("from_tag"),
		str_init("callid"), str_init("local_cseq"), str_init("remote_cseq"),
		str_init("contact"), str_init("record_route"), str_init("expires"),
		str_init("status"), str_init("reason"), str_init("version"),
		str_init("socket_info"), str_init("local_contact"),
		str_init("from_user"), str_init("from_domain"), str_init("updated"),
		str_init("updated_winfo"), str_init("flags"), str_init("user_agent")};
/* the dialog key: to_tag, from_tag, callid */
#define KEY_FIRST 7
#define NKEYS 3

static void v_str(db_val_t *v, const lp_str_t *s)
{
	v->type = DB1_STR;
	v->nul = 0;
	v->val.str_val.s = s->s ? s->s : "";
	v->val.str_val.len = s->s ? s->len : 0;
}

static void v_int(db_val_t *v, int i)
{
	v->type = DB1_INT;
	v->nul = 0;
	v->val.int_val = i;
}

static void row_values(const subs_t *s, db_val_t *v)
{
	static lp_str_t empty = {"", 0};

	v_str(&v[0], &s->pres_uri);
	v_str(&v[1], &s->watcher_user);
	v_str(&v[2], &s->watcher_domain);
	v_str(&v[3], &s->to_user);
	v_str(&v[4], &s->to_domain);
	v_str(&v[5], s->event ? &s->event->name : &empty);
	v_str(&v[6], &s->event_id);
	v_str(&v[7], &s->to_tag);
	v_str(&v[8], &s->from_tag);
	v_str(&v[9], &s->callid);
	v_int(&v[10], (int)s->local_cseq);
	v_int(&v[11], (int)s->remote_cseq);
	v_str(&v[12], &s->contact);
	v_str(&v[13], &s->record_route);
	v_int(&v[14], (int)s->expires);
	v_int(&v[15], (int)s->status);
	v_str(&v[16], &s->reason);
	v_int(&v[17], s->version);
	v_str(&v[18], &s->sockinfo_str);
	v_str(&v[19], &s->local_contact);
	v_str(&v[20], &s->from_user);
	v_str(&v[21], &s->from_domain);
	v_int(&v[22], s->updated);
	v_int(&v[23], s->updated_winfo);
	v_int(&v[24], (int)s->flags);
	v_str(&v[25], &s->user_agent);
}

typedef struct dbctx {
	db1_con_t *db;
	db_func_t *dbf;
} dbctx_t;

static int write_row(subs_t *s, void *vctx)
{
	dbctx_t *c = vctx;
	db_key_t keys[NCOLS];
	db_val_t vals[NCOLS];
	int i, rc = 0;

	for(i = 0; i < NCOLS; i++)
		keys[i] = &col_names[i];
	row_values(s, vals);
	if(s->db_flag & INSERTDB_FLAG)
		rc = c->dbf->insert(c->db, keys, vals, NCOLS_WRITE);
	else if(s->db_flag & UPDATEDB_FLAG)
		rc = c->dbf->update(c->db, keys + KEY_FIRST, 0, vals + KEY_FIRST,
				keys, vals, NKEYS, NCOLS_WRITE);
	if(rc < 0) {
		LM_ERR("cannot write the subscription %.*s to the table\n",
				s->callid.len, s->callid.s);
		return -1;
	}
	return 0;
}

static void delete_row(subs_t *s, void *vctx)
{
	dbctx_t *c = vctx;
	db_key_t keys[NKEYS];
	db_val_t vals[NCOLS];
	int i;

	for(i = 0; i < NKEYS; i++)
		keys[i] = &col_names[KEY_FIRST + i];
	row_values(s, vals);
	if(c->dbf->delete(c->db, keys, 0, vals + KEY_FIRST, NKEYS) < 0)
		LM_ERR("cannot delete the expired subscription %.*s\n", s->callid.len,
				s->callid.s);
}

void pres_kam_update_db_subs(void *vdb, void *vdbf, shtable_t t, int size,
		int no_lock, handle_expired_func_t expired)
{
	dbctx_t c = {vdb, vdbf};
	pres_shtable_sync_ops_t ops = {write_row, delete_row, &c};

	if(!c.db || !c.dbf || !t) {
		LM_ERR("update_db_subs_timer: no DB connection or table\n");
		return;
	}
	pres_shtable_sync(t, size, no_lock, (unsigned int)time(NULL), expired, &ops);
}
