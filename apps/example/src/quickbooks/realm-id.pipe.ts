import { Injectable, NotFoundException, type PipeTransform } from '@nestjs/common';

const REALM_ID = /^[0-9]{1,32}$/;

/** A malformed realm id is simply a connection that does not exist: 404, like another tenant's. */
@Injectable()
export class RealmIdPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (typeof value !== 'string' || !REALM_ID.test(value))
      throw new NotFoundException({ error: 'connection_not_found', message: 'No QuickBooks connection for this realm' });
    return value;
  }
}
