// The SQLSTATEs pg_scribe raises or tests for, named as in PostgreSQL's
// src/backend/utils/errcodes.txt (kQueryCanceled is ERRCODE_QUERY_CANCELED).
// One list for the core, the CLI and the server code: scribe::Error takes
// these. Server code that calls ereport itself uses ERRCODE_* directly;
// include/scribe/pg/guard.hpp checks at compile time that every name here
// has the value of its ERRCODE_* twin.
#pragma once

namespace scribe::sqlstate {

// Class 08: connection exception
inline constexpr char kConnectionFailure[] = "08006";
// Class 0A: feature not supported
inline constexpr char kFeatureNotSupported[] = "0A000";
// Class 22: data exception
inline constexpr char kNullValueNotAllowed[] = "22004";
inline constexpr char kCharacterNotInRepertoire[] = "22021";
inline constexpr char kInvalidParameterValue[] = "22023";
inline constexpr char kInvalidTextRepresentation[] = "22P02";
// Class 25: invalid transaction state
inline constexpr char kActiveSqlTransaction[] = "25001";
inline constexpr char kReadOnlySqlTransaction[] = "25006";
// Class 3F: invalid schema name
inline constexpr char kInvalidSchemaName[] = "3F000";
// Class 42: syntax error or access rule violation
inline constexpr char kInsufficientPrivilege[] = "42501";
inline constexpr char kSyntaxError[] = "42601";
inline constexpr char kDuplicateObject[] = "42710";
inline constexpr char kUndefinedFunction[] = "42883";
inline constexpr char kUndefinedTable[] = "42P01";
// Class 53: insufficient resources
inline constexpr char kDiskFull[] = "53100";
inline constexpr char kOutOfMemory[] = "53200";
inline constexpr char kConfigurationLimitExceeded[] = "53400";
// Class 54: program limit exceeded
inline constexpr char kProgramLimitExceeded[] = "54000";
// Class 55: object not in prerequisite state
inline constexpr char kObjectNotInPrerequisiteState[] = "55000";
inline constexpr char kObjectInUse[] = "55006";
// Class 57: operator intervention
inline constexpr char kQueryCanceled[] = "57014";
inline constexpr char kAdminShutdown[] = "57P01";
// Class 58: system error
inline constexpr char kSystemError[] = "58000";
inline constexpr char kIoError[] = "58030";
// Class XX: internal error
inline constexpr char kInternalError[] = "XX000";
inline constexpr char kDataCorrupted[] = "XX001";

}  // namespace scribe::sqlstate
