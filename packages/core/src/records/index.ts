export {
  type BatchReport,
  buildBatchReport,
  type GroupStats,
  percentile,
  type ReportedFailure,
  type SampleStats,
} from "./batch-report";
export { CSV_RECORD_COLUMNS, type CsvRecordColumn, recordToCells } from "./columns";
export { defuseFormula, formatCsvRow, type ParsedCsv, parseCsv, restoreFormula } from "./csv";
export {
  type CsvRecordSink,
  type CsvRecordSinkOptions,
  createCsvRecordSink,
  csvRecordFileName,
} from "./csv-record-sink";
export {
  type CsvRecordRow,
  parseCsvRecords,
  type ReadCsvRecordsOptions,
  readCsvRecords,
} from "./read-csv-records";
export { redactSecretText } from "./redact";
export {
  createServerRecords,
  recordToWire,
  type ServerRecords,
  type ServerRecordsOptions,
} from "./server-records";
export { batchReportFileName, type WriteBatchReportOptions, writeBatchReport } from "./write-batch-report";
