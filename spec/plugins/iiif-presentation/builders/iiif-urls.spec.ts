import { expect } from 'chai';
import { iiifUrls, manifestBase } from '../../../../plugins/iiif-presentation/builders';

describe('iiif-presentation builders: iiifUrls', function () {
  const u = iiifUrls('http://colophon.test/');

  it('follows the project URL conventions', function () {
    expect(u.manifest(3, 'r1')).to.equal('http://colophon.test/iiif/presentation/3/r1/manifest');
    expect(u.manifest(2, 'r1')).to.equal('http://colophon.test/iiif/presentation/2/r1/manifest');
    expect(u.imageService(3, 'f1')).to.equal('http://colophon.test/iiif/3/f1');
    expect(u.topCollection(3)).to.equal('http://colophon.test/iiif/presentation/3/collection/top');
    expect(u.collectionPage(2, 'c1', 4)).to.equal('http://colophon.test/iiif/presentation/2/collection/c1?page=4');
    expect(u.titleCollection(3, 't1')).to.equal('http://colophon.test/iiif/presentation/3/title/t1/collection');
    expect(u.discoveryPage(7)).to.equal('http://colophon.test/iiif/discovery/activity/page/7');
    expect(u.content('f1')).to.equal('http://colophon.test/iiif/content/f1');
    expect(u.authProbe('f1')).to.equal('http://colophon.test/iiif/auth/v2/probe/f1');
    expect(u.oaiGetRecord('oai_dc', 'colophon.test', 't1')).to.equal('http://colophon.test/oai?verb=GetRecord&metadataPrefix=oai_dc&identifier=oai:colophon.test:t1');
  });

  it('encodes ids as path segments', function () {
    expect(u.manifest(3, 'a b/c')).to.equal('http://colophon.test/iiif/presentation/3/a%20b%2Fc/manifest');
  });

  it('manifestBase strips /manifest and refuses other ids', function () {
    expect(manifestBase(u.manifest(3, 'r1'))).to.equal('http://colophon.test/iiif/presentation/3/r1');
    expect(() => manifestBase('http://colophon.test/iiif/presentation/3/r1')).to.throw(/manifest/);
  });
});
