import { useId, useRef, useState, type DragEvent } from 'react';
import { Button } from '../../ui/Button.js';
import { Glyph } from './glyphs.js';

/**
 * Drop a file here, or choose one. The real file input stays in the page (visually hidden), so
 * the button, the keyboard and assistive technology all use the browser's own picker.
 */
export function UploadZone({ onFile, disabled = false, noun }: { onFile: (file: File) => void; disabled?: boolean; noun: string }) {
  const inputId = useId();
  const input = useRef<HTMLInputElement>(null);
  // dragenter/dragleave fire for every child crossed: count them so the highlight does not flicker.
  const depth = useRef(0);
  const [over, setOver] = useState(false);

  const accept = (files: FileList | null) => {
    const file = files?.[0];
    if (file && !disabled) onFile(file);
  };
  const onDragEnter = (e: DragEvent) => {
    if (!e.dataTransfer.types.includes('Files')) return;
    e.preventDefault();
    depth.current++;
    setOver(true);
  };
  const onDragLeave = () => {
    depth.current = Math.max(0, depth.current - 1);
    if (depth.current === 0) setOver(false);
  };
  const onDragOver = (e: DragEvent) => {
    if (!e.dataTransfer.types.includes('Files')) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = disabled ? 'none' : 'copy';
  };
  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    depth.current = 0;
    setOver(false);
    accept(e.dataTransfer.files);
  };

  return (
    <div
      className={`imp-drop${over ? ' imp-drop-over' : ''}${disabled ? ' imp-drop-disabled' : ''}`}
      onDragEnter={onDragEnter}
      onDragLeave={onDragLeave}
      onDragOver={onDragOver}
      onDrop={onDrop}
      data-testid="upload-zone"
    >
      <span className="imp-drop-icon" aria-hidden="true">
        <Glyph name="upload" size={26} />
      </span>
      <p className="imp-drop-title">{over ? 'Drop the file to upload it' : 'Drag a CSV file here'}</p>
      <p className="imp-drop-text">
        or choose one from your computer. Keel reads the header and the first rows, then suggests a field for each column of your {noun}.
      </p>
      <input
        ref={input}
        id={inputId}
        className="sr-only"
        type="file"
        accept=".csv,.tsv,.txt,text/csv,text/plain,text/tab-separated-values"
        aria-label="CSV file"
        tabIndex={-1}
        disabled={disabled}
        onChange={(e) => {
          accept(e.target.files);
          e.target.value = '';
        }}
      />
      <Button variant="primary" onClick={() => input.current?.click()} disabled={disabled}>
        Choose a file
      </Button>
    </div>
  );
}
