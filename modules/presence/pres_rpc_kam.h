/* The presence module's RPC commands (pres_rpc_kam.c). */
#ifndef PRES_RPC_KAM_H
#define PRES_RPC_KAM_H

#include "core/rpc.h"

extern rpc_export_t pres_rpc_cmds[];

#endif
