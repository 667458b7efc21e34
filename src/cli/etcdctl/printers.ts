// Picks the printer for -w, as etcdctl's NewPrinter does.

import { CtlError, ExitCode } from './errors.js';
import { FieldsPrinter } from './printer-fields.js';
import { JsonPrinter } from './printer-json.js';
import { ProtobufPrinter } from './printer-protobuf.js';
import { SimplePrinter } from './printer-simple.js';
import { TablePrinter } from './printer-table.js';
import { OUTPUT_FORMATS, type OutputFormat, type Printer, type PrinterIO } from './printer.js';

export function newPrinter(format: string, io: PrinterIO): { format: OutputFormat; printer: Printer } {
  if (!(OUTPUT_FORMATS as readonly string[]).includes(format)) throw new CtlError('unsupported output format', ExitCode.BadFeature);
  const f = format as OutputFormat;
  const printer = { simple: SimplePrinter, json: JsonPrinter, fields: FieldsPrinter, table: TablePrinter, protobuf: ProtobufPrinter }[f];
  return { format: f, printer: new printer(io) };
}
